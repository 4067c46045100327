"""One replication: the Mesa model of a regional labour market and its mechanisms."""
