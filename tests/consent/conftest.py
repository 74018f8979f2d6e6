from tests.engine.conftest import make_env  # noqa: F401  (the engine against the sandboxes, real clients)
