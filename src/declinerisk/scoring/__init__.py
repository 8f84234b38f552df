"""The one scoring kernel and the scorer every entry point calls (service, files, pyfunc, Spark)."""
