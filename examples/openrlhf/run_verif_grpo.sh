#!/usr/bin/env bash
# run_verif_grpo.sh: VerIF's recipe in OpenRLHF (group_norm = GRPO, 16
# samples per prompt, rollout batch 32, lr 1e-6, KL loss 1e-3 with the k3
# estimator, 4,096-token responses), rewards from `verif serve`.
#
# Targets: OpenRLHF v0.11.0 (the flag names of 0.10.2 and later:
# --reward.remote_url, --data.label_key, --actor.adam.lr, ...; its parser
# rejects the old --remote_rm_url style).  For OpenRLHF before 0.10.2 see
# README.md.  tests/contracts/recipes.py checks every flag below against
# v0.11.0's openrlhf/cli/train_ppo_ray.py.
#
# --reward.remote_url is the server's /get_reward (OpenRLHF posts one sample
# per request there: query, prompts, labels; several URLs, comma-separated,
# share the load), or python/verif_client/openrlhf_reward.py for retries,
# the token and failover (VERIF_URL, VERIF_TOKEN, VERIF_RETRIES).  MODEL,
# DATA, VERIF_URL and NGPUS come from the environment; extra arguments go to
# OpenRLHF.
set -euo pipefail
MODEL=${MODEL:-Qwen/Qwen2.5-7B-Instruct}
DATA=${DATA:-data/verinstruct_openrlhf.jsonl}
NGPUS=${NGPUS:-8}
export VERIF_URL=${VERIF_URL:-http://127.0.0.1:8765}
RM=${RM:-}
if [ -z "$RM" ]; then  # every server's /get_reward
  for u in ${VERIF_URL//,/ }; do RM=${RM:+$RM,}$u/get_reward; done
fi

for u in ${VERIF_URL//,/ }; do
  curl -fsS "$u/healthz" >/dev/null || { echo "verif serve is not answering at $u" >&2; exit 1; }
done

python3 -m openrlhf.cli.train_ppo_ray \
   --ref.num_nodes 1 --ref.num_gpus_per_node "$NGPUS" \
   --actor.num_nodes 1 --actor.num_gpus_per_node "$NGPUS" \
   --vllm.num_engines $((NGPUS / 2)) --vllm.tensor_parallel_size 2 \
   --train.colocate_all --vllm.gpu_memory_utilization 0.6 \
   --actor.model_name_or_path "$MODEL" \
   --reward.remote_url "$RM" \
   --data.prompt_dataset "$DATA" --data.input_key prompt --data.label_key label \
   --data.apply_chat_template \
   --algo.advantage.estimator group_norm \
   --rollout.n_samples_per_prompt 16 \
   --rollout.batch_size 32 --rollout.micro_batch_size 16 \
   --train.batch_size 512 --train.micro_batch_size 4 \
   --actor.adam.lr 1e-6 \
   --algo.kl.init_coef 1e-3 --algo.kl.use_loss --algo.kl.estimator k3 \
   --data.max_len 6144 --rollout.max_new_tokens 4096 \
   --train.max_epochs 1 --ds.zero_stage 3 --ds.param_dtype bf16 \
   --actor.gradient_checkpointing_enable --ds.packing_samples \
   --ckpt.output_dir checkpoints/verif-grpo \
   "$@"
