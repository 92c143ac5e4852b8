"""The domain: models, ids, events, ports and errors. Imports nothing else of ours."""
