"""The officials' portal: report cards to download (one, or a zip of all one may see), and the
public page that checks a printed card's number and fingerprint."""
