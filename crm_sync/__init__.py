"""The CRM side: contacts, companies, leads and deals, and sync to external CRMs."""
