"""Changes to version files, validated before a byte is written."""
