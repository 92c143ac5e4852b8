"""SLA: targets per line and priority, warnings before the breach, breaches, escalation."""
