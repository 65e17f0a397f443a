"""Invoke root collection: wires the task modules of release/ and soak/, holds no logic."""

from invoke.collection import Collection

from release.build import tasks as build_tasks
from release.homebrew import tasks as homebrew_tasks
from soak.analyze import tasks as analyze_tasks
from soak.run import tasks as overnight_tasks

ns = Collection()
ns.add_task(build_tasks.build)

release = Collection("release")
release.add_task(build_tasks.release_build, name="build")
release.add_task(build_tasks.release_verify, name="verify")
release.add_task(homebrew_tasks.formula)
release.add_task(homebrew_tasks.tap)
release.add_task(homebrew_tasks.tap_setup, name="tap-setup")
ns.add_collection(release)

soak = Collection("soak")
soak.add_task(overnight_tasks.overnight)
soak.add_task(analyze_tasks.analyze)
soak.add_task(analyze_tasks.compare)
ns.add_collection(soak)
