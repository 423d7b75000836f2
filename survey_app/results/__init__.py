"""Results pages for coordinators and viewers: league tables, grades, the sanctions list."""
