"""The marketing platform: Bronto's contact model, spoken over Dotdigital's REST API."""
