"""Route modules; each is parse -> command -> handler -> response."""
