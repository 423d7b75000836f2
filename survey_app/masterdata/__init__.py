"""Master data pages: areas, units, officials and their posts (coordinators and admins)."""
