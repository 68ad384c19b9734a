"""Revenue attribution: rule-based models on opportunity journeys, and exact data-driven
models (Markov removal effects, Shapley values) on path summaries."""
