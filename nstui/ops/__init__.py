"""Running nstui as a service: health, logging of the engine's events, metrics."""
