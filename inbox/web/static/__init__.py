"""Static files of the operator page (a package so that wheels carry them)."""
