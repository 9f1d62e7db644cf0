#include "store/operand_run.h"

namespace hourglass::store {

bool OperandRun::Continues(const DataKey& key) const {
  return open_ && records_ < kMaxRecords && key.resolution == key_.resolution &&
         key.series_id == key_.series_id && key.block_start == key_.block_start;
}

void OperandRun::Start(const DataKey& key) {
  Finish();
  key_ = key;
  open_ = true;
  records_ = 0;
}

void OperandRun::AddRaw(const DataKey& key, RawCombine combine, uint16_t slot, double value) {
  if (!Continues(key)) {
    Start(key);
    StartRawOperand(combine, &operand_);
  }
  AppendRawRecord(slot, value, &operand_);
  ++records_;
}

void OperandRun::AddRollup(const DataKey& key, uint16_t slot, const RollupBucket& bucket) {
  if (!Continues(key)) {
    Start(key);
    StartRollupOperand(&operand_);
  }
  if (has_bucket_ && bucket_slot_ == slot) {
    bucket_.Merge(bucket);
    return;
  }
  if (has_bucket_) AppendRollupRecord(bucket_slot_, bucket_, &operand_);
  has_bucket_ = true;
  bucket_slot_ = slot;
  bucket_ = bucket;
  ++records_;
}

void OperandRun::Finish() {
  if (!open_) return;
  if (has_bucket_) AppendRollupRecord(bucket_slot_, bucket_, &operand_);
  has_bucket_ = false;
  char key[kDataKeySize];
  key_.EncodeTo(key);
  batch_->Merge(family_, rocksdb::Slice(key, kDataKeySize), operand_);
  open_ = false;
}

}  // namespace hourglass::store
