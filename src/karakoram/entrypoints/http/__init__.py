"""What the API and the web UI share over HTTP: the app factory (app/), the node and principal
dependencies (deps.py), the one mapper from domain errors to statuses (errors.py), and how
`serve` runs it all (server.py). Nothing here imports the API or the web UI but the factory."""
