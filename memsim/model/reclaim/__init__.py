"""The reclamation techniques: page sharing, ballooning, compression, swapping (§2–§5)."""
