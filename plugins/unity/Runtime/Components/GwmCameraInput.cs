using UnityEngine;
using UnityEngine.XR;
#if ENABLE_INPUT_SYSTEM && GWM_INPUT_SYSTEM
using UnityEngine.InputSystem;
#endif

namespace GwmEngine.Components
{
    /// <summary>
    /// Player input to camera actions for a <see cref="GwmWorldView"/>, once per frame:
    /// WASD (or the left stick) moves, Q/E (or the shoulder buttons) go down/up, the mouse (or the
    /// right stick, or the arrow keys) looks, Shift (or the left stick press) runs. Rates are
    /// scaled by the frame time in the tested core (<see cref="CameraInputMapper"/>), so speed
    /// does not depend on the frame rate.
    ///
    /// With <see cref="xrHeadPose"/>, the head-mounted display's pose is sent instead, as an
    /// absolute pose every frame (set the view's <c>stereo</c> for per-eye frames).
    ///
    /// Uses the Input System package when it is installed and enabled, else the legacy Input
    /// Manager (keyboard and mouse only: its gamepad axes depend on each project's settings).
    /// </summary>
    [AddComponentMenu("GWM Engine/GWM Camera Input")]
    public sealed class GwmCameraInput : MonoBehaviour
    {
        public GwmWorldView view;

        [Header("Speeds")]
        public float moveSpeedMps = 1.5f;
        public float runMultiplier = 3f;
        public float turnSpeedDegPerS = 90f;
        [Tooltip("Degrees of turn per pixel of mouse movement.")]
        public float mouseDegPerPixel = 0.15f;
        public bool invertMouseY;
        [Tooltip("Look with the mouse only while the right button is held (leaves the cursor free for UI).")]
        public bool lookWhileRightMouseHeld = true;

        [Header("XR")]
        [Tooltip("Send the headset's pose as an absolute pose instead of reading keys and sticks.")]
        public bool xrHeadPose;

        [Tooltip("Legacy Input Manager only: pixels per unit of the 'Mouse X/Y' axes (their default sensitivity, 0.1, makes one unit about ten pixels).")]
        public float legacyMouseAxisPixels = 10f;

        readonly CameraInputSettings _settings = new CameraInputSettings();

        void Reset()
        {
            view = GetComponent<GwmWorldView>();
        }

        void Update()
        {
            if (view == null || !view.IsStreaming) return;
            if (xrHeadPose)
            {
                SendHeadPose();
                return;
            }
            _settings.MoveSpeedMps = moveSpeedMps;
            _settings.TurnSpeedDegPerS = turnSpeedDegPerS;
            _settings.MouseDegPerPixel = mouseDegPerPixel;
            _settings.InvertMouseY = invertMouseY;
            if (view.Info != null)
            {
                _settings.MaxMoveM = view.Info.MaxMoveM;
                _settings.MaxTurnDeg = view.Info.MaxTurnDeg;
            }
            var action = CameraInputMapper.Map(ReadInput(), Time.deltaTime, _settings);
            if (!action.IsIdle) view.Send(action);
        }

        void SendHeadPose()
        {
            var head = InputDevices.GetDeviceAtXRNode(XRNode.Head);
            if (!head.isValid) return;
            Vector3 position;
            Quaternion rotation;
            // The centre eye is what stereo frames are rendered around; not every runtime reports it.
            if (head.TryGetFeatureValue(CommonUsages.centerEyePosition, out position)
                && head.TryGetFeatureValue(CommonUsages.centerEyeRotation, out rotation))
                view.SendHeadPose(position, rotation);
            else if (head.TryGetFeatureValue(CommonUsages.devicePosition, out position)
                     && head.TryGetFeatureValue(CommonUsages.deviceRotation, out rotation))
                view.SendHeadPose(position, rotation);
        }

#if ENABLE_INPUT_SYSTEM && GWM_INPUT_SYSTEM
        CameraInputSample ReadInput()
        {
            var sample = new CameraInputSample { SpeedMultiplier = 1 };
            var keyboard = Keyboard.current;
            if (keyboard != null)
            {
                sample.Forward += Key(keyboard.wKey) - Key(keyboard.sKey);
                sample.Right += Key(keyboard.dKey) - Key(keyboard.aKey);
                sample.Up += Key(keyboard.eKey) - Key(keyboard.qKey);
                sample.LookRight += Key(keyboard.rightArrowKey) - Key(keyboard.leftArrowKey);
                sample.LookUp += Key(keyboard.upArrowKey) - Key(keyboard.downArrowKey);
                if (keyboard.shiftKey.isPressed) sample.SpeedMultiplier = runMultiplier;
            }
            var mouse = Mouse.current;
            if (mouse != null && (!lookWhileRightMouseHeld || mouse.rightButton.isPressed))
            {
                Vector2 delta = mouse.delta.ReadValue();
                sample.MouseDeltaX = delta.x;
                sample.MouseDeltaY = delta.y;
            }
            var pad = Gamepad.current;
            if (pad != null)
            {
                Vector2 move = pad.leftStick.ReadValue();
                Vector2 look = pad.rightStick.ReadValue();
                sample.Right += move.x;
                sample.Forward += move.y;
                sample.LookRight += look.x;
                sample.LookUp += look.y;
                sample.Up += Key(pad.rightShoulder) - Key(pad.leftShoulder);
                if (pad.leftStickButton.isPressed) sample.SpeedMultiplier = runMultiplier;
            }
            return sample;
        }

        static double Key(UnityEngine.InputSystem.Controls.ButtonControl button)
        {
            return button.isPressed ? 1 : 0;
        }
#elif ENABLE_LEGACY_INPUT_MANAGER
        CameraInputSample ReadInput()
        {
            var sample = new CameraInputSample
            {
                Forward = Key(KeyCode.W) - Key(KeyCode.S),
                Right = Key(KeyCode.D) - Key(KeyCode.A),
                Up = Key(KeyCode.E) - Key(KeyCode.Q),
                LookRight = Key(KeyCode.RightArrow) - Key(KeyCode.LeftArrow),
                LookUp = Key(KeyCode.UpArrow) - Key(KeyCode.DownArrow),
                SpeedMultiplier = Input.GetKey(KeyCode.LeftShift) || Input.GetKey(KeyCode.RightShift) ? runMultiplier : 1,
            };
            if (!lookWhileRightMouseHeld || Input.GetMouseButton(1))
            {
                sample.MouseDeltaX = Input.GetAxisRaw("Mouse X") * legacyMouseAxisPixels;
                sample.MouseDeltaY = Input.GetAxisRaw("Mouse Y") * legacyMouseAxisPixels;
            }
            return sample;
        }

        static double Key(KeyCode key)
        {
            return Input.GetKey(key) ? 1 : 0;
        }
#else
        CameraInputSample ReadInput()
        {
            // Neither input back end is enabled (Project Settings > Player > Active Input Handling).
            return new CameraInputSample();
        }
#endif
    }
}
