"""What analysts read after training or in production: report, fairness, drift, decline reasons."""
