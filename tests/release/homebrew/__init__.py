"""Tests of the formula and the tap: real git (a local bare repo as the tap), HTTP on 127.0.0.1, ruby."""
