-- Files quarantined whole (they could not be read as a whole; the other files of their call
-- landed), newest first: where, why, and the reader's one-line message.
SELECT path,
       reason,
       detail,
       format,
       size,
       left(sha256, 12) AS sha256_prefix,
       quarantined_at
FROM quarantined_files
ORDER BY quarantined_at DESC, path;
