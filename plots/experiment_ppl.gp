# experiment_ppl.gp: perplexity of each generation's texts under the base model (mean, 95 % CI)
# per setup, beside the paper's published perplexity (its Synthetic setup).
# gnuplot -c experiment_ppl.gp GENERATIONS.csv OUT [published_summary.csv]
call 'experiment_quality.gp' ARG1 ARG2 ARG3 "ppl" "perplexity under the base model"
