"""Tests of soak.analyze and soak.compare on real run directories and log captures."""
