"""The embedded local stack: template.yaml brought to life on moto, with our handlers as the Lambdas."""
