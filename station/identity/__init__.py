"""Who is in the chair: a scan turned into a subject, and the school's roster that subjects come from."""
