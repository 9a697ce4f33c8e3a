"""Notifications of a declaration's status changes to the trader who lodged it: webhooks and
e-mail, queued in the change's own transaction and delivered by a worker with retries."""
