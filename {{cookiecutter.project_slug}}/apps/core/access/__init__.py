"""Who may do what: roles, and the scoping of every entry point to the user's client."""
