"""The workbooks talentstats makes: blank templates for the towns and the generated sample collection."""
