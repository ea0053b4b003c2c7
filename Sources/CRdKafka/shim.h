#ifndef CRDKAFKA_SHIM_H
#define CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Macros Swift does not import (they are casts, not plain literals). */

/** RD_KAFKA_OFFSET_BEGINNING: start a partition at its first message. */
static inline int64_t crdkafka_offset_beginning(void) { return RD_KAFKA_OFFSET_BEGINNING; }

/** RD_KAFKA_PARTITION_UA: no partition (a subscription's topic entry; let the partitioner choose). */
static inline int32_t crdkafka_partition_unassigned(void) { return RD_KAFKA_PARTITION_UA; }

/** RD_KAFKA_MSG_F_COPY: rd_kafka_produce copies the payload (the caller keeps ownership). */
static inline int crdkafka_msg_f_copy(void) { return RD_KAFKA_MSG_F_COPY; }

#endif
