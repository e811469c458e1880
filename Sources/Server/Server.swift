// HTTP service: API, webhooks, metrics and dashboard over PipelineControl.
