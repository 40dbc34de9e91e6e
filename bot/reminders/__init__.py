"""Reminders: rules in the database (storage.reminders), who is due and what they are told (planner, texts),
APScheduler firing them through the outbox (service), and the admin's notice about unreachable members."""
