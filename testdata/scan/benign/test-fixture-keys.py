AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"  # AWS documentation example
API_TOKEN = "your-token-here"
PASSWORD = "changeme"
