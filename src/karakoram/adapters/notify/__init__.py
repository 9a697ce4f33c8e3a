"""How notifications leave the node: signed webhook POSTs (httpx) and e-mail (SMTP)."""
