"""The deployment profile and the declarations: the city, its units, the forms, label spelling."""
