"""The NetSuite REST client: Token-Based Authentication, SuiteQL paging, record API.

Knows nothing of the engine: ``client.NetSuiteClient`` is the whole interface,
``suiteql`` builds queries, ``errors`` holds the typed exceptions.
"""
