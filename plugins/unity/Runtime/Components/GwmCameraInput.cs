using System;
using System.Threading.Tasks;
using UnityEngine;
using UnityEngine.XR;
#if ENABLE_INPUT_SYSTEM && GWM_INPUT_SYSTEM
using UnityEngine.InputSystem;
#endif

namespace GwmEngine.Components
{
    /// <summary>
    /// Player input to camera actions for a <see cref="GwmWorldView"/>, once per frame, in the
    /// mapping every gwm-engine client shares (plugins/controls.json): WASD (or the left stick)
    /// moves, Q/E (or the left/right shoulder) go down/up, the arrow keys (or the right stick)
    /// turn and look, the mouse looks while captured (click the game view; Esc lets go), Shift
    /// (or the left stick press) runs, R (or Select) resets to the start. The speed is the
    /// session's suggested walk speed and turn rate (its scale) times <see cref="speedScale"/>.
    /// Rates are scaled by the frame time in the tested core (<see cref="CameraInputMapper"/>),
    /// so speed does not depend on the frame rate.
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
        [Tooltip("Multiplies the session's suggested walk speed (and its square root, the turn rate).")]
        [Range(0.1f, 10f)] public float speedScale = 1f;
        [Tooltip("Walk speed when the daemon suggests none (before protocol 1.1.0).")]
        public float moveSpeedMps = 1.5f;
        public float runMultiplier = 3f;
        [Tooltip("Turn rate when the daemon suggests none (before protocol 1.1.0).")]
        public float turnSpeedDegPerS = 90f;
        [Tooltip("Degrees of turn per pixel of mouse movement.")]
        public float mouseDegPerPixel = 0.15f;
        public bool invertMouseY;
        [Tooltip("Look with the mouse only while the right button is held, instead of capturing it on a click (leaves the cursor free for UI).")]
        public bool lookWhileRightMouseHeld;

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
            var info = view.Session != null ? view.Session.Info : null;
            double walk = info != null && info.WalkSpeedMps > 0 ? info.WalkSpeedMps : moveSpeedMps;
            double turn = info != null && info.TurnRateDps > 0 ? info.TurnRateDps : turnSpeedDegPerS;
            _settings.MoveSpeedMps = walk * speedScale;
            _settings.TurnSpeedDegPerS = turn * Math.Sqrt(speedScale);
            _settings.MouseDegPerPixel = mouseDegPerPixel;
            _settings.InvertMouseY = invertMouseY;
            if (view.Info != null)
            {
                _settings.MaxMoveM = view.Info.MaxMoveM;
                _settings.MaxTurnDeg = view.Info.MaxTurnDeg;
            }
            CaptureMouse();
            if (ResetPressed())
            {
                Forget(view.ResetAsync());
                return;
            }
            var action = CameraInputMapper.Map(ReadInput(), Time.deltaTime, _settings);
            if (!action.IsIdle) view.Send(action);
        }

        /// <summary>A click in the game view captures the mouse for looking; Esc lets it go.</summary>
        void CaptureMouse()
        {
            if (lookWhileRightMouseHeld) return;
            if (EscapePressed()) Cursor.lockState = CursorLockMode.None;
            else if (ClickPressed()) Cursor.lockState = CursorLockMode.Locked;
        }

        bool MouseLooks(bool rightButtonHeld)
        {
            return lookWhileRightMouseHeld ? rightButtonHeld : Cursor.lockState == CursorLockMode.Locked;
        }

        void Forget(Task task)
        {
            task.ContinueWith(t => Debug.LogError("GWM Engine: reset failed: " + t.Exception.InnerException.Message, this),
                TaskContinuationOptions.OnlyOnFaulted);
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
            if (mouse != null && MouseLooks(mouse.rightButton.isPressed))
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

        static bool ResetPressed()
        {
            var keyboard = Keyboard.current;
            var pad = Gamepad.current;
            return (keyboard != null && keyboard.rKey.wasPressedThisFrame) || (pad != null && pad.selectButton.wasPressedThisFrame);
        }

        static bool EscapePressed()
        {
            return Keyboard.current != null && Keyboard.current.escapeKey.wasPressedThisFrame;
        }

        static bool ClickPressed()
        {
            return Mouse.current != null && Mouse.current.leftButton.wasPressedThisFrame;
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
            if (MouseLooks(Input.GetMouseButton(1)))
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

        static bool ResetPressed() { return Input.GetKeyDown(KeyCode.R); }

        static bool EscapePressed() { return Input.GetKeyDown(KeyCode.Escape); }

        static bool ClickPressed() { return Input.GetMouseButtonDown(0); }
#else
        CameraInputSample ReadInput()
        {
            // Neither input back end is enabled (Project Settings > Player > Active Input Handling).
            return new CameraInputSample();
        }

        static bool ResetPressed() { return false; }

        static bool EscapePressed() { return false; }

        static bool ClickPressed() { return false; }
#endif
    }
}
