"""The hybrid GNN+LLM recommender: data sets, split protocol, text embeddings, models, fixed-point
export, training, metrics, the pipeline (`python -m host.rec`), the report and serving. Uses
host.driver for Eq. 1 on the accelerator."""
