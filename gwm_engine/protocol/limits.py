"""Limits both ends of gwm.v1 agree on."""

# Largest gRPC message either way. A worst-case frame is 1280x720 stereo with raw RGB8
# (2.8 MB per eye), float32 depth (3.7 MB per eye) and the mask (0.9 MB per eye): ~15 MB.
# Requests can be bigger: a raw seed image with float32 depth at the largest seed size, or a
# world file holding a long exploration's point cloud. 64 MiB covers those with headroom while
# still refusing absurd messages before they are buffered (gRPC's default is only 4 MiB).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

# Output frame sizes (GetInfo's min_side_px, max_side_px, max_pixels): the daemon, demo and
# scene all take these, and the command line's --size help shows them.
MIN_SIDE = 16
MAX_SIDE = 2048
MAX_PIXELS = 1920 * 1080

# Chunked files (SaveWorldChunks, LoadWorldChunks, ExportGeometryChunks): each chunk's data is
# at most this, far below the message limit so a stream never stalls on one huge message.
CHUNK_BYTES = 4 * 1024 * 1024
# The largest world file LoadWorldChunks takes: a 1920x1080 stereo world at the cache's
# capacity is under 1 GiB; the rest is headroom for layers and denser caches.
MAX_WORLD_FILE_BYTES = 4 * 1024 * 1024 * 1024
