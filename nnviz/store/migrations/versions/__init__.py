"""The schema's revisions, oldest first: 0001 the tables, 0002 expiry and the board's index."""
