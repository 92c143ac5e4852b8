"""Channel connectors, one folder each with the same shape (config, parse, send, connector).

A connector imports ``inbox.domain`` and nothing else of ours; ``inbox.wiring`` registers it.
"""
