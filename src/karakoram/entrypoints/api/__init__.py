"""The HTTP API: an app factory, thin routes, and one place that maps errors to responses."""
