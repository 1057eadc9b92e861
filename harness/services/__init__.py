"""Real data and monitoring services run as host processes on 127.0.0.1 for tests."""
