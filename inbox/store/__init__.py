"""Storage adapters: MongoDB repositories, the Redis event stream and the file store."""
