"""The project's tests: the folders mirror the source tree; support/ holds what many tests share, fixtures/ real
captures."""
