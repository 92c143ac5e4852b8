"""The router: assigns conversations to operators and passes them on when nobody answers."""
