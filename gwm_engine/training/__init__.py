"""Training the learned world model on scenes the project renders itself (`gwm-engine train`)."""
