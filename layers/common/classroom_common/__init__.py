"""Code shared by the Smart Classroom Lambdas (deployed as the common layer)."""
