from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RgbEncoding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RGB_ENCODING_UNSPECIFIED: _ClassVar[RgbEncoding]
    RGB_ENCODING_RAW: _ClassVar[RgbEncoding]
    RGB_ENCODING_JPEG: _ClassVar[RgbEncoding]
    RGB_ENCODING_PNG: _ClassVar[RgbEncoding]

class DepthEncoding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEPTH_ENCODING_UNSPECIFIED: _ClassVar[DepthEncoding]
    DEPTH_ENCODING_FLOAT32: _ClassVar[DepthEncoding]
    DEPTH_ENCODING_FLOAT16: _ClassVar[DepthEncoding]
    DEPTH_ENCODING_UINT16_MM: _ClassVar[DepthEncoding]

class GeometryFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GEOMETRY_FORMAT_UNSPECIFIED: _ClassVar[GeometryFormat]
    GEOMETRY_FORMAT_PLY: _ClassVar[GeometryFormat]
    GEOMETRY_FORMAT_GLB: _ClassVar[GeometryFormat]
RGB_ENCODING_UNSPECIFIED: RgbEncoding
RGB_ENCODING_RAW: RgbEncoding
RGB_ENCODING_JPEG: RgbEncoding
RGB_ENCODING_PNG: RgbEncoding
DEPTH_ENCODING_UNSPECIFIED: DepthEncoding
DEPTH_ENCODING_FLOAT32: DepthEncoding
DEPTH_ENCODING_FLOAT16: DepthEncoding
DEPTH_ENCODING_UINT16_MM: DepthEncoding
GEOMETRY_FORMAT_UNSPECIFIED: GeometryFormat
GEOMETRY_FORMAT_PLY: GeometryFormat
GEOMETRY_FORMAT_GLB: GeometryFormat

class GetInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetInfoResponse(_message.Message):
    __slots__ = ("model_name", "model_version", "server_version", "protocol_version", "supported_protocol_versions", "min_side_px", "max_side_px", "max_pixels", "rgb_encodings", "depth_encodings", "backends", "max_sessions", "open_sessions", "idle_timeout_s", "max_message_bytes", "max_move_m", "max_turn_deg", "batch_wait_ms")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_PROTOCOL_VERSIONS_FIELD_NUMBER: _ClassVar[int]
    MIN_SIDE_PX_FIELD_NUMBER: _ClassVar[int]
    MAX_SIDE_PX_FIELD_NUMBER: _ClassVar[int]
    MAX_PIXELS_FIELD_NUMBER: _ClassVar[int]
    RGB_ENCODINGS_FIELD_NUMBER: _ClassVar[int]
    DEPTH_ENCODINGS_FIELD_NUMBER: _ClassVar[int]
    BACKENDS_FIELD_NUMBER: _ClassVar[int]
    MAX_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    OPEN_SESSIONS_FIELD_NUMBER: _ClassVar[int]
    IDLE_TIMEOUT_S_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_MOVE_M_FIELD_NUMBER: _ClassVar[int]
    MAX_TURN_DEG_FIELD_NUMBER: _ClassVar[int]
    BATCH_WAIT_MS_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: str
    server_version: str
    protocol_version: str
    supported_protocol_versions: _containers.RepeatedScalarFieldContainer[str]
    min_side_px: int
    max_side_px: int
    max_pixels: int
    rgb_encodings: _containers.RepeatedScalarFieldContainer[RgbEncoding]
    depth_encodings: _containers.RepeatedScalarFieldContainer[DepthEncoding]
    backends: _containers.RepeatedScalarFieldContainer[str]
    max_sessions: int
    open_sessions: int
    idle_timeout_s: float
    max_message_bytes: int
    max_move_m: float
    max_turn_deg: float
    batch_wait_ms: float
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[str] = ..., server_version: _Optional[str] = ..., protocol_version: _Optional[str] = ..., supported_protocol_versions: _Optional[_Iterable[str]] = ..., min_side_px: _Optional[int] = ..., max_side_px: _Optional[int] = ..., max_pixels: _Optional[int] = ..., rgb_encodings: _Optional[_Iterable[_Union[RgbEncoding, str]]] = ..., depth_encodings: _Optional[_Iterable[_Union[DepthEncoding, str]]] = ..., backends: _Optional[_Iterable[str]] = ..., max_sessions: _Optional[int] = ..., open_sessions: _Optional[int] = ..., idle_timeout_s: _Optional[float] = ..., max_message_bytes: _Optional[int] = ..., max_move_m: _Optional[float] = ..., max_turn_deg: _Optional[float] = ..., batch_wait_ms: _Optional[float] = ...) -> None: ...

class CreateSessionRequest(_message.Message):
    __slots__ = ("protocol_version", "seed_image", "seed_image_encoding", "seed_image_width", "seed_image_height", "seed_depth", "seed_depth_encoding", "width", "height", "fov_deg", "stereo", "ipd_m", "rgb_encoding", "depth_encoding", "jpeg_quality", "include_mask", "seed", "scale_centre_distance_m", "scale_factor", "walk")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SEED_IMAGE_FIELD_NUMBER: _ClassVar[int]
    SEED_IMAGE_ENCODING_FIELD_NUMBER: _ClassVar[int]
    SEED_IMAGE_WIDTH_FIELD_NUMBER: _ClassVar[int]
    SEED_IMAGE_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    SEED_DEPTH_FIELD_NUMBER: _ClassVar[int]
    SEED_DEPTH_ENCODING_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FOV_DEG_FIELD_NUMBER: _ClassVar[int]
    STEREO_FIELD_NUMBER: _ClassVar[int]
    IPD_M_FIELD_NUMBER: _ClassVar[int]
    RGB_ENCODING_FIELD_NUMBER: _ClassVar[int]
    DEPTH_ENCODING_FIELD_NUMBER: _ClassVar[int]
    JPEG_QUALITY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_MASK_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SCALE_CENTRE_DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    SCALE_FACTOR_FIELD_NUMBER: _ClassVar[int]
    WALK_FIELD_NUMBER: _ClassVar[int]
    protocol_version: str
    seed_image: bytes
    seed_image_encoding: RgbEncoding
    seed_image_width: int
    seed_image_height: int
    seed_depth: bytes
    seed_depth_encoding: DepthEncoding
    width: int
    height: int
    fov_deg: float
    stereo: bool
    ipd_m: float
    rgb_encoding: RgbEncoding
    depth_encoding: DepthEncoding
    jpeg_quality: int
    include_mask: bool
    seed: int
    scale_centre_distance_m: float
    scale_factor: float
    walk: bool
    def __init__(self, protocol_version: _Optional[str] = ..., seed_image: _Optional[bytes] = ..., seed_image_encoding: _Optional[_Union[RgbEncoding, str]] = ..., seed_image_width: _Optional[int] = ..., seed_image_height: _Optional[int] = ..., seed_depth: _Optional[bytes] = ..., seed_depth_encoding: _Optional[_Union[DepthEncoding, str]] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., fov_deg: _Optional[float] = ..., stereo: _Optional[bool] = ..., ipd_m: _Optional[float] = ..., rgb_encoding: _Optional[_Union[RgbEncoding, str]] = ..., depth_encoding: _Optional[_Union[DepthEncoding, str]] = ..., jpeg_quality: _Optional[int] = ..., include_mask: _Optional[bool] = ..., seed: _Optional[int] = ..., scale_centre_distance_m: _Optional[float] = ..., scale_factor: _Optional[float] = ..., walk: _Optional[bool] = ...) -> None: ...

class SessionInfo(_message.Message):
    __slots__ = ("session_id", "width", "height", "fov_deg", "stereo", "ipd_m", "pose", "steps", "rgb_encoding", "depth_encoding", "include_mask", "median_depth_m", "walk_speed_mps", "turn_rate_dps", "camera_height_m", "walk")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FOV_DEG_FIELD_NUMBER: _ClassVar[int]
    STEREO_FIELD_NUMBER: _ClassVar[int]
    IPD_M_FIELD_NUMBER: _ClassVar[int]
    POSE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    RGB_ENCODING_FIELD_NUMBER: _ClassVar[int]
    DEPTH_ENCODING_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_MASK_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_DEPTH_M_FIELD_NUMBER: _ClassVar[int]
    WALK_SPEED_MPS_FIELD_NUMBER: _ClassVar[int]
    TURN_RATE_DPS_FIELD_NUMBER: _ClassVar[int]
    CAMERA_HEIGHT_M_FIELD_NUMBER: _ClassVar[int]
    WALK_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    width: int
    height: int
    fov_deg: float
    stereo: bool
    ipd_m: float
    pose: _containers.RepeatedScalarFieldContainer[float]
    steps: int
    rgb_encoding: RgbEncoding
    depth_encoding: DepthEncoding
    include_mask: bool
    median_depth_m: float
    walk_speed_mps: float
    turn_rate_dps: float
    camera_height_m: float
    walk: bool
    def __init__(self, session_id: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., fov_deg: _Optional[float] = ..., stereo: _Optional[bool] = ..., ipd_m: _Optional[float] = ..., pose: _Optional[_Iterable[float]] = ..., steps: _Optional[int] = ..., rgb_encoding: _Optional[_Union[RgbEncoding, str]] = ..., depth_encoding: _Optional[_Union[DepthEncoding, str]] = ..., include_mask: _Optional[bool] = ..., median_depth_m: _Optional[float] = ..., walk_speed_mps: _Optional[float] = ..., turn_rate_dps: _Optional[float] = ..., camera_height_m: _Optional[float] = ..., walk: _Optional[bool] = ...) -> None: ...

class CreateSessionResponse(_message.Message):
    __slots__ = ("session", "first_frame")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    FIRST_FRAME_FIELD_NUMBER: _ClassVar[int]
    session: SessionInfo
    first_frame: Frame
    def __init__(self, session: _Optional[_Union[SessionInfo, _Mapping]] = ..., first_frame: _Optional[_Union[Frame, _Mapping]] = ...) -> None: ...

class Action(_message.Message):
    __slots__ = ("session_id", "seq", "client_time_us", "move_right_m", "move_up_m", "move_forward_m", "turn_yaw_deg", "turn_pitch_deg", "turn_roll_deg", "pose")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    CLIENT_TIME_US_FIELD_NUMBER: _ClassVar[int]
    MOVE_RIGHT_M_FIELD_NUMBER: _ClassVar[int]
    MOVE_UP_M_FIELD_NUMBER: _ClassVar[int]
    MOVE_FORWARD_M_FIELD_NUMBER: _ClassVar[int]
    TURN_YAW_DEG_FIELD_NUMBER: _ClassVar[int]
    TURN_PITCH_DEG_FIELD_NUMBER: _ClassVar[int]
    TURN_ROLL_DEG_FIELD_NUMBER: _ClassVar[int]
    POSE_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    seq: int
    client_time_us: int
    move_right_m: float
    move_up_m: float
    move_forward_m: float
    turn_yaw_deg: float
    turn_pitch_deg: float
    turn_roll_deg: float
    pose: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, session_id: _Optional[str] = ..., seq: _Optional[int] = ..., client_time_us: _Optional[int] = ..., move_right_m: _Optional[float] = ..., move_up_m: _Optional[float] = ..., move_forward_m: _Optional[float] = ..., turn_yaw_deg: _Optional[float] = ..., turn_pitch_deg: _Optional[float] = ..., turn_roll_deg: _Optional[float] = ..., pose: _Optional[_Iterable[float]] = ...) -> None: ...

class Frame(_message.Message):
    __slots__ = ("seq", "client_time_us", "index", "pose", "width", "height", "fx_px", "fy_px", "cx_px", "cy_px", "rgb_encoding", "rgb", "depth_encoding", "depth", "mask", "right_pose", "right_rgb", "right_depth", "right_mask", "timings_ms")
    class TimingsMsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    SEQ_FIELD_NUMBER: _ClassVar[int]
    CLIENT_TIME_US_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POSE_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FX_PX_FIELD_NUMBER: _ClassVar[int]
    FY_PX_FIELD_NUMBER: _ClassVar[int]
    CX_PX_FIELD_NUMBER: _ClassVar[int]
    CY_PX_FIELD_NUMBER: _ClassVar[int]
    RGB_ENCODING_FIELD_NUMBER: _ClassVar[int]
    RGB_FIELD_NUMBER: _ClassVar[int]
    DEPTH_ENCODING_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    MASK_FIELD_NUMBER: _ClassVar[int]
    RIGHT_POSE_FIELD_NUMBER: _ClassVar[int]
    RIGHT_RGB_FIELD_NUMBER: _ClassVar[int]
    RIGHT_DEPTH_FIELD_NUMBER: _ClassVar[int]
    RIGHT_MASK_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_MS_FIELD_NUMBER: _ClassVar[int]
    seq: int
    client_time_us: int
    index: int
    pose: _containers.RepeatedScalarFieldContainer[float]
    width: int
    height: int
    fx_px: float
    fy_px: float
    cx_px: float
    cy_px: float
    rgb_encoding: RgbEncoding
    rgb: bytes
    depth_encoding: DepthEncoding
    depth: bytes
    mask: bytes
    right_pose: _containers.RepeatedScalarFieldContainer[float]
    right_rgb: bytes
    right_depth: bytes
    right_mask: bytes
    timings_ms: _containers.ScalarMap[str, float]
    def __init__(self, seq: _Optional[int] = ..., client_time_us: _Optional[int] = ..., index: _Optional[int] = ..., pose: _Optional[_Iterable[float]] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., fx_px: _Optional[float] = ..., fy_px: _Optional[float] = ..., cx_px: _Optional[float] = ..., cy_px: _Optional[float] = ..., rgb_encoding: _Optional[_Union[RgbEncoding, str]] = ..., rgb: _Optional[bytes] = ..., depth_encoding: _Optional[_Union[DepthEncoding, str]] = ..., depth: _Optional[bytes] = ..., mask: _Optional[bytes] = ..., right_pose: _Optional[_Iterable[float]] = ..., right_rgb: _Optional[bytes] = ..., right_depth: _Optional[bytes] = ..., right_mask: _Optional[bytes] = ..., timings_ms: _Optional[_Mapping[str, float]] = ...) -> None: ...

class ForkRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class ForkResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: SessionInfo
    def __init__(self, session: _Optional[_Union[SessionInfo, _Mapping]] = ...) -> None: ...

class SaveWorldRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class SaveWorldResponse(_message.Message):
    __slots__ = ("world",)
    WORLD_FIELD_NUMBER: _ClassVar[int]
    world: bytes
    def __init__(self, world: _Optional[bytes] = ...) -> None: ...

class LoadWorldRequest(_message.Message):
    __slots__ = ("protocol_version", "world", "rgb_encoding", "depth_encoding", "jpeg_quality", "include_mask")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    WORLD_FIELD_NUMBER: _ClassVar[int]
    RGB_ENCODING_FIELD_NUMBER: _ClassVar[int]
    DEPTH_ENCODING_FIELD_NUMBER: _ClassVar[int]
    JPEG_QUALITY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_MASK_FIELD_NUMBER: _ClassVar[int]
    protocol_version: str
    world: bytes
    rgb_encoding: RgbEncoding
    depth_encoding: DepthEncoding
    jpeg_quality: int
    include_mask: bool
    def __init__(self, protocol_version: _Optional[str] = ..., world: _Optional[bytes] = ..., rgb_encoding: _Optional[_Union[RgbEncoding, str]] = ..., depth_encoding: _Optional[_Union[DepthEncoding, str]] = ..., jpeg_quality: _Optional[int] = ..., include_mask: _Optional[bool] = ...) -> None: ...

class LoadWorldResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: SessionInfo
    def __init__(self, session: _Optional[_Union[SessionInfo, _Mapping]] = ...) -> None: ...

class ExportGeometryRequest(_message.Message):
    __slots__ = ("session_id", "format", "collision_faces")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    COLLISION_FACES_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    format: GeometryFormat
    collision_faces: int
    def __init__(self, session_id: _Optional[str] = ..., format: _Optional[_Union[GeometryFormat, str]] = ..., collision_faces: _Optional[int] = ...) -> None: ...

class ExportGeometryResponse(_message.Message):
    __slots__ = ("ply", "point_count", "glb", "format", "face_count", "collision_face_count")
    PLY_FIELD_NUMBER: _ClassVar[int]
    POINT_COUNT_FIELD_NUMBER: _ClassVar[int]
    GLB_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    FACE_COUNT_FIELD_NUMBER: _ClassVar[int]
    COLLISION_FACE_COUNT_FIELD_NUMBER: _ClassVar[int]
    ply: bytes
    point_count: int
    glb: bytes
    format: GeometryFormat
    face_count: int
    collision_face_count: int
    def __init__(self, ply: _Optional[bytes] = ..., point_count: _Optional[int] = ..., glb: _Optional[bytes] = ..., format: _Optional[_Union[GeometryFormat, str]] = ..., face_count: _Optional[int] = ..., collision_face_count: _Optional[int] = ...) -> None: ...

class CloseSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class CloseSessionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResetRequest(_message.Message):
    __slots__ = ("session_id", "seq", "client_time_us")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    CLIENT_TIME_US_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    seq: int
    client_time_us: int
    def __init__(self, session_id: _Optional[str] = ..., seq: _Optional[int] = ..., client_time_us: _Optional[int] = ...) -> None: ...

class FileChunk(_message.Message):
    __slots__ = ("data", "offset", "total_bytes", "point_count")
    DATA_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    POINT_COUNT_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    offset: int
    total_bytes: int
    point_count: int
    def __init__(self, data: _Optional[bytes] = ..., offset: _Optional[int] = ..., total_bytes: _Optional[int] = ..., point_count: _Optional[int] = ...) -> None: ...

class LoadWorldChunk(_message.Message):
    __slots__ = ("protocol_version", "data", "offset", "total_bytes", "rgb_encoding", "depth_encoding", "jpeg_quality", "include_mask")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    RGB_ENCODING_FIELD_NUMBER: _ClassVar[int]
    DEPTH_ENCODING_FIELD_NUMBER: _ClassVar[int]
    JPEG_QUALITY_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_MASK_FIELD_NUMBER: _ClassVar[int]
    protocol_version: str
    data: bytes
    offset: int
    total_bytes: int
    rgb_encoding: RgbEncoding
    depth_encoding: DepthEncoding
    jpeg_quality: int
    include_mask: bool
    def __init__(self, protocol_version: _Optional[str] = ..., data: _Optional[bytes] = ..., offset: _Optional[int] = ..., total_bytes: _Optional[int] = ..., rgb_encoding: _Optional[_Union[RgbEncoding, str]] = ..., depth_encoding: _Optional[_Union[DepthEncoding, str]] = ..., jpeg_quality: _Optional[int] = ..., include_mask: _Optional[bool] = ...) -> None: ...
