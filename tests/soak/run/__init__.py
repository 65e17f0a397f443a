"""Tests of invoke soak.overnight: parameters, S3, litestream.yml, monitor, lifecycle with stand-ins, real
end to end."""
