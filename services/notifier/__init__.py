"""The notifier: e-mails and portal notifications for access managers, signed webhooks for vendors."""
