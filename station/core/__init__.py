"""Rules every layer shares, with no I/O: domain errors, resident ID numbers and masking, file names, progress."""
