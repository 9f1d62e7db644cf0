// OperandRun: turns consecutive records for the same data key into one merge
// operand, and consecutive points of one rollup bucket into one record. A
// backfill, or a carbon sender replaying history, writes many points of a
// block in one Write: one operand per block instead of one per point keeps
// the memtable small and reads of fresh data cheap. One per Write call, on
// the writing thread.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <string>

#include "store/block_codec.h"
#include "store/data_key.h"

namespace hourglass::store {

class OperandRun {
 public:
  OperandRun(rocksdb::ColumnFamilyHandle* family, rocksdb::WriteBatch* batch)
      : family_(family), batch_(batch) {}
  OperandRun(const OperandRun&) = delete;
  OperandRun& operator=(const OperandRun&) = delete;

  void AddRaw(const DataKey& key, RawCombine combine, uint16_t slot, double value);
  void AddRollup(const DataKey& key, uint16_t slot, const RollupBucket& bucket);
  // Writes the last operand; call once after the last Add.
  void Finish();

 private:
  // Bounds one operand (a block has 360 slots; repeats of a slot add records).
  static constexpr size_t kMaxRecords = 1024;
  bool Continues(const DataKey& key) const;
  void Start(const DataKey& key);

  rocksdb::ColumnFamilyHandle* family_;
  rocksdb::WriteBatch* batch_;
  bool open_ = false;
  DataKey key_;
  std::string operand_;
  size_t records_ = 0;
  // The rollup record being folded, appended when another slot comes.
  bool has_bucket_ = false;
  uint16_t bucket_slot_ = 0;
  RollupBucket bucket_;
};

}  // namespace hourglass::store
