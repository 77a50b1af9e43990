"""Is this the right person? Face continuity at the chair, enrolment photos, the export audit.

Face data (embeddings, enrolment thumbnails) is biometric personal data. It lives only in the workspace's
face book (`faces/` inside the owner-only workspace, see `book.py`), apart from the journal, so that
`station purge-faces` can delete all of it without touching a single journalled fact. It is never exported,
never written to a log, and never shown except as a distance.
"""
